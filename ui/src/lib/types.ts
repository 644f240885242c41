// The shapes that cross IPC. Each is generated from its Rust definition into
// ./ipc.generated.ts (its header says how to regenerate it; a Rust test fails when it is out of
// date); this module is what the UI imports: those types under the names the screens use,
// plus the few that exist only on this side of the bridge.
import type { ConnectionView, ErrorCode as CoreErrorCode } from './ipc.generated';

export type * from './ipc.generated';

/** Core `ConnectionView`: a connection as the UI shows it. Never carries a token. */
export type Connection = ConnectionView;

/** Stable codes from core `ErrorCode`, plus `ipc` for a failure of the bridge itself. */
export type ErrorCode = CoreErrorCode | 'ipc';
