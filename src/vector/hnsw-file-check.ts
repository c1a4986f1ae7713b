/**
 * Checks that a file hnswlib wrote is complete. hnswlib's saveIndex uses an unchecked
 * std::ofstream, so a full disk yields a silently truncated file; this walks the layout
 * (96-byte header, level-0 block, then one length-prefixed link list per element) as the bytes
 * stream past and reports whether they end exactly where the layout says.
 */
const HEADER_BYTES = 96;
const COUNT_OFFSET = 16; // cur_element_count (size_t)
const ELEMENT_SIZE_OFFSET = 24; // size_data_per_element_ (size_t)

export class HnswFileCheck {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private position = 0;
  /** Next position where a 4-byte link-list length starts; -1 until the header is read. */
  private nextLength = -1;
  private remaining = 0;
  private readonly lengthBytes = Buffer.alloc(4);
  private lengthFill = 0;
  private broken = false;

  /** Feed the file's bytes in order. */
  update(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.broken) {
      if (this.position < HEADER_BYTES) {
        const take = Math.min(HEADER_BYTES - this.position, chunk.length - offset);
        chunk.copy(this.header, this.position, offset, offset + take);
        this.advance(take);
        offset += take;
        if (this.position === HEADER_BYTES) this.startBody();
        continue;
      }
      if (this.position < this.nextLength) {
        const skip = Math.min(this.nextLength - this.position, chunk.length - offset);
        this.advance(skip);
        offset += skip;
        continue;
      }
      if (this.remaining === 0) {
        this.broken = true; // bytes after the last link list
        return;
      }
      this.lengthBytes[this.lengthFill++] = chunk[offset]!;
      this.advance(1);
      offset += 1;
      if (this.lengthFill === 4) {
        this.lengthFill = 0;
        this.remaining -= 1;
        this.nextLength = this.position + this.lengthBytes.readUInt32LE(0);
      }
    }
  }

  /** True when the bytes fed so far form exactly one complete graph file. */
  complete(): boolean {
    return (
      !this.broken &&
      this.position >= HEADER_BYTES &&
      this.remaining === 0 &&
      this.lengthFill === 0 &&
      this.position === this.nextLength
    );
  }

  private startBody(): void {
    const count = Number(this.header.readBigUInt64LE(COUNT_OFFSET));
    const elementSize = Number(this.header.readBigUInt64LE(ELEMENT_SIZE_OFFSET));
    this.remaining = count;
    this.nextLength = HEADER_BYTES + count * elementSize;
  }

  private advance(bytes: number): void {
    this.position += bytes;
  }
}
