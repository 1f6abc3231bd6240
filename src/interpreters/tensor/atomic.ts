/**
 * Crash-safe file writes: the bytes go to a temporary file beside the target,
 * are flushed to disk, and replace the target with one `rename`; the folder
 * is flushed too, so the rename itself survives a power cut. A crash or a
 * full disk at any moment leaves either the old file or the new one, never a
 * mix, and the temporary file is removed when a write fails.
 * @module
 */
import * as fs from 'node:fs'
import * as nodePath from 'node:path'

/** How bytes reach the disk; tests inject failures through it. */
export interface Writer {
  readonly write: (fd: number, bytes: Uint8Array) => void
}

export const nodeWriter: Writer = {
  write: (fd, bytes) => {
    let offset = 0
    while (offset < bytes.byteLength) offset += fs.writeSync(fd, bytes, offset, bytes.byteLength - offset)
  },
}

/** Replace `path` by `bytes` atomically (parent folders are created). Throws the underlying error after cleaning up. */
export const writeAtomically = (path: string, bytes: Uint8Array | string, writer: Writer = nodeWriter): void => {
  const dir = nodePath.dirname(path)
  fs.mkdirSync(dir, { recursive: true })
  const temp = nodePath.join(dir, `.${nodePath.basename(path)}.tmp-${process.pid}`)
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes
  const fd = fs.openSync(temp, 'w')
  try {
    writer.write(fd, data)
    fs.fsyncSync(fd)
  } catch (e) {
    fs.closeSync(fd)
    fs.rmSync(temp, { force: true })
    throw e
  }
  fs.closeSync(fd)
  fs.renameSync(temp, path)
  try {
    const dirFd = fs.openSync(dir, 'r')
    try {
      fs.fsyncSync(dirFd)
    } finally {
      fs.closeSync(dirFd)
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename is still atomic there.
  }
}
