/** A failure to start whose message is already the one line a user should read. */
export class StartupError extends Error {}
