import { describe, expect, it } from 'vitest';
import { cleanFileName, contentDisposition } from './content-disposition.js';
import { detectContentType, isAllowedType } from './content-type.js';

describe('Content-Disposition', () => {
  it.each([
    ['report.pdf', 'attachment; filename="report.pdf"'],
    ['say "hi".txt', `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`],
    ['100%;x.png', `attachment; filename="100__x.png"; filename*=UTF-8''100%25%3Bx.png`],
    ['東京.jpg', `attachment; filename="__.jpg"; filename*=UTF-8''%E6%9D%B1%E4%BA%AC.jpg`],
    ['back\\slash.png', `attachment; filename="back_slash.png"; filename*=UTF-8''back%5Cslash.png`],
  ])('when the name is %s, then the header is %s', (name, header) => {
    expect(contentDisposition('attachment', name)).toBe(header);
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\photo.png', 'photo.png'],
    ['bad\u0000name\r\n.txt', 'badname.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['\u2066a\u2067b\u2068c\u2069\u200E\u200F\u061C\u202A\u202B\u202C\u202Dd.txt', 'abcd.txt'],
    ['..', 'file'],
    [undefined, 'file'],
    ['a'.repeat(300), 'a'.repeat(255)],
  ])('when the client names the file %j, then it is kept as %j', (raw, cleaned) => {
    expect(cleanFileName(raw)).toBe(cleaned);
  });
});

describe('content type detection', () => {
  it.each([
    [Buffer.from('%PDF-1.4\n'), 'application/pdf'],
    [Buffer.from('ffd8ffe000104a464946', 'hex'), 'image/jpeg'],
    [Buffer.from('GIF89a\x01\x00\x01\x00'), 'image/gif'],
    [Buffer.from('  <!DOCTYPE html><p>x'), 'text/html'],
    [Buffer.from('<script>alert(1)</script>'), 'text/html'],
    [Buffer.from('\uFEFF<html>'), 'text/html'],
    [Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'), 'application/xml'],
    [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'image/svg+xml'],
    [Buffer.from('Zażółć gęślą jaźń\nline two\n'), 'text/plain'],
    [Buffer.from([0, 1, 2, 3, 250, 251]), 'application/octet-stream'],
    [Buffer.alloc(0), 'application/octet-stream'],
  ])('when the content starts with %j, then it is %s', async (bytes, type) => {
    expect(await detectContentType(bytes)).toBe(type);
  });

  it('when patterns list a family or everything, then matching types are allowed', () => {
    expect(isAllowedType('image/webp', ['image/*'])).toBe(true);
    expect(isAllowedType('text/html', ['image/*', 'text/plain'])).toBe(false);
    expect(isAllowedType('application/zip', ['*/*'])).toBe(true);
  });
});
