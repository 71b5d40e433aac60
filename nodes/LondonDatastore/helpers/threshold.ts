/** DataPress refuses multipart files larger than this (100 MiB); larger files go through storage. */
export const MAX_MULTIPART_BYTES = 104857600;

export type UploadMethodChoice = 'auto' | 'multipart' | 'presigned';
export type UploadPath = 'multipart' | 'presigned';

export function chooseUploadPath(fileSize: number, choice: UploadMethodChoice = 'auto'): UploadPath {
	if (choice === 'multipart' || choice === 'presigned') return choice;
	return fileSize > MAX_MULTIPART_BYTES ? 'presigned' : 'multipart';
}
