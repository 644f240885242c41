import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { createRawSnippet } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LazyModule } from '../lazy.svelte';
import LazyScreen from './LazyScreen.svelte';

// The "module" here exports a string; the snippet shows it in place of a screen.
const children = createRawSnippet((value: () => unknown) => ({
  render: () => `<p data-testid="lazy-value">${String(value())}</p>`,
}));

function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('LazyScreen', () => {
  afterEach(() => vi.useRealTimers());

  it('shows nothing during a quick fetch, then the screen; a second visit draws at once', async () => {
    const module = deferred<{ default: string }>();
    const fetch = vi.fn(() => module.promise);
    const lazy = new LazyModule(fetch);
    const { container, unmount } = render(LazyScreen, { props: { screen: lazy, children } });
    expect(container.querySelector('*')).toBeNull();
    module.resolve({ default: 'health' });
    expect(await screen.findByTestId('lazy-value')).toHaveTextContent('health');
    unmount();

    render(LazyScreen, { props: { screen: lazy, children } });
    expect(screen.getByTestId('lazy-value')).toHaveTextContent('health');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('shows a spinner when the fetch takes a moment', async () => {
    vi.useFakeTimers();
    const lazy = new LazyModule(() => new Promise<{ default: string }>(() => {}));
    render(LazyScreen, { props: { screen: lazy, children } });
    expect(screen.queryByTestId('loading')).toBeNull();
    await vi.advanceTimersByTimeAsync(300);
    expect(screen.getByTestId('loading')).toHaveTextContent('Opening…');
  });

  it('says when the fetch failed and tries again', async () => {
    const fetch = vi
      .fn<() => Promise<{ default: string }>>()
      .mockRejectedValueOnce(new TypeError('Failed to fetch dynamically imported module'))
      .mockResolvedValueOnce({ default: 'settings' });
    render(LazyScreen, { props: { screen: new LazyModule(fetch), children } });
    const error = await screen.findByTestId('screen-load-error');
    expect(error).toHaveTextContent('This screen could not be opened');
    expect(error).toHaveTextContent('Failed to fetch dynamically imported module');
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('lazy-value')).toHaveTextContent('settings');
    expect(screen.queryByTestId('screen-load-error')).toBeNull();
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
