/** DataPress refuses multipart files larger than this (100 MiB); larger files go through storage. */
export const MAX_MULTIPART_BYTES = 104857600;

export type UploadMethodChoice = 'auto' | 'multipart' | 'presigned';
export type UploadPath = 'multipart' | 'presigned';

export function chooseUploadPath(fileSize: number, choice: UploadMethodChoice = 'auto'): UploadPath {
	if (choice === 'multipart' || choice === 'presigned') return choice;
	return fileSize > MAX_MULTIPART_BYTES ? 'presigned' : 'multipart';
}

/**
 * axios' timeout runs from the start of the request to the answer, so an upload needs one that scales
 * with its size: five minutes plus one second per 256 KiB (a slow 2 Mbit/s line still makes it).
 */
export function uploadTimeoutMs(fileSize: number): number {
	return 300_000 + Math.ceil(fileSize / 262_144) * 1000;
}
