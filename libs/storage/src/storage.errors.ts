export type StorageErrorCode =
  'BAD_URL' | 'NO_STORAGE' | 'CREDENTIALS' | 'ACCESS_DENIED' | 'NOT_FOUND' | 'UNAVAILABLE' | 'TOO_LARGE';

/**
 * An object-storage failure whose message is safe to show a caller or write to a log: it names
 * the storage and the URL, never a credential (SDK messages are not passed through).
 */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}
