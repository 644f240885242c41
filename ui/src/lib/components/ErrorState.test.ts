import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api';
import ErrorState from './ErrorState.svelte';

describe('ErrorState', () => {
  it.each([
    ['keychain_locked', 'The system keychain did not answer. Unlock it and try again.'],
    ['keychain_unavailable', 'The system keychain did not answer. Unlock it and try again.'],
    ['schema_too_new', 'saved by a newer version of Advisor Desk'],
    ['ipc', 'Something went wrong inside the app.'],
    ['a_code_from_a_newer_core', 'Something went wrong inside the app.'],
  ])('gives the next step for %s', (code, hint) => {
    render(ErrorState, { props: { title: 'Failed', error: new ApiError(code, 'raw message') } });
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent(hint);
    expect(alert).toHaveTextContent('raw message');
    expect(alert).toHaveAttribute('data-error-code', code);
  });

  it('offers a retry only when given one', async () => {
    const onRetry = vi.fn();
    const { unmount } = render(ErrorState, {
      props: { title: 'Failed', error: new ApiError('io', 'x'), retryLabel: 'Try again', onRetry },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(onRetry).toHaveBeenCalledOnce();
    unmount();
    render(ErrorState, { props: { title: 'Failed', error: new ApiError('io', 'x') } });
    expect(screen.queryByRole('button')).toBeNull();
  });
});
