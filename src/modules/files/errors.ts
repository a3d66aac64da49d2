/** The files module's coded errors. */
import { defineError } from '../../platform/http/errors.js';

export const FileNotFound = defineError('FILE_NOT_FOUND', 404, 'File not found');
export const FileTooLarge = defineError('FILE_TOO_LARGE', 413, 'File too large');
export const QuotaExceeded = defineError('QUOTA_EXCEEDED', 413, 'Storage quota exceeded');
export const FileTypeNotAllowed = defineError('FILE_TYPE_NOT_ALLOWED', 415, 'File type not allowed');
export const NotMultipart = defineError('NOT_MULTIPART', 415, 'Expected multipart/form-data');
export const MalformedMultipart = defineError('MALFORMED_MULTIPART', 400, 'Malformed multipart body');
export const NoFiles = defineError('NO_FILES', 400, 'No file in the request');
export const UnexpectedField = defineError('UNEXPECTED_FIELD', 400, 'Unexpected form field');
export const TooManyFiles = defineError('TOO_MANY_FILES', 413, 'Too many files in one request');
export const RangeNotSatisfiable = defineError('RANGE_NOT_SATISFIABLE', 416, 'Range not satisfiable');
export const LinkExpired = defineError('LINK_EXPIRED', 403, 'Link expired');
export const InvalidSignature = defineError('INVALID_SIGNATURE', 403, 'Invalid link signature');
export const UploadNotFound = defineError('UPLOAD_NOT_FOUND', 404, 'Upload not found');
export const UploadExpired = defineError('UPLOAD_EXPIRED', 410, 'Upload expired');
export const UploadOffsetMismatch = defineError('UPLOAD_OFFSET_MISMATCH', 409, 'Upload-Offset does not match');
export const UploadBusy = defineError('UPLOAD_BUSY', 423, 'Another request is appending to this upload');
export const UploadLengthExceeded = defineError('UPLOAD_LENGTH_EXCEEDED', 400, 'More bytes than Upload-Length');
export const TusVersionUnsupported = defineError('TUS_VERSION_UNSUPPORTED', 412, 'Unsupported Tus-Resumable version');
export const InvalidTusHeader = defineError('INVALID_TUS_HEADER', 400, 'Invalid tus header');
export const ChecksumMismatch = defineError('CHECKSUM_MISMATCH', 460, 'Checksum mismatch');
export const ChecksumAlgorithmUnsupported = defineError('CHECKSUM_ALGORITHM_UNSUPPORTED', 400, 'Unsupported checksum algorithm');
export const OffsetStreamExpected = defineError('OFFSET_STREAM_EXPECTED', 415, 'Expected application/offset+octet-stream');
