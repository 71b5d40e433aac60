/**
 * Above this many bytes the node takes the large-file path. "100 MB" is read as 10^8, the smaller of its
 * two meanings, so that a site whose limit is 10^8 or 100 MiB (2^20 × 100) never gets a post over it.
 */
export const LARGE_FILE_BYTES = 100_000_000;
/** The most a forced multipart post may carry: DataPress refuses larger ones (100 MiB). */
export const MAX_MULTIPART_BYTES = 104857600;

/** `presigned` is the Large File choice: presigned on legacy sites, chunked on DataPress 4. */
export type UploadMethodChoice = 'auto' | 'multipart' | 'presigned';
export type UploadPath = 'multipart' | 'presigned' | 'chunked';

export function largeFilePath(generation: 'v4' | 'legacy'): UploadPath {
	return generation === 'v4' ? 'chunked' : 'presigned';
}

export function chooseUploadPath(
	fileSize: number,
	choice: UploadMethodChoice,
	generation: 'v4' | 'legacy',
): UploadPath {
	if (choice === 'multipart') return 'multipart';
	if (choice === 'presigned') return largeFilePath(generation);
	return fileSize > LARGE_FILE_BYTES ? largeFilePath(generation) : 'multipart';
}
