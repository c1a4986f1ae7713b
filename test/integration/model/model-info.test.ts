import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import type { CommandContext } from '../../../cli/command-context.ts';
import { run } from '../../../cli/commands/model-info.command.ts';
import { FIXTURES } from './model-test-dirs.ts';

function context(): { ctx: CommandContext; out: () => string } {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const ctx: CommandContext = {
    cwd: process.cwd(),
    env: { CLIPDEX_CACHE: path.join(os.tmpdir(), 'clipdex-no-cache') },
    stdout,
    stderr: new PassThrough(),
    signal: new AbortController().signal,
    interactive: false,
  };
  return { ctx, out: () => Buffer.concat(chunks).toString('utf8') };
}

describe('clipdex model info', () => {
  it('prints layout, graph I/O with dtypes and shapes, dim, context, preprocessing and provider', async () => {
    const { ctx, out } = context();
    await run({ _: [path.join(FIXTURES, 'models/formats/openclip')], device: 'cpu', threads: '1' }, ctx);
    const text = out();
    // Label and value, however the columns are padded: the facts, not the layout of the table.
    expect(text).to.match(/layout\s+openclip/);
    expect(text).to.match(/dimension\s+12/);
    expect(text).to.match(/context\s+77 tokens/);
    expect(text).to.match(/text\s+int32\[1, 77\]/);
    expect(text).to.match(/embedding\s+float32\[1, 12\]\s+← embedding/);
    expect(text).to.include('squash to 40×40');
    expect(text).to.match(/provider\s+cpu/);
    expect(text).to.match(/threads\s+text 1 \(flag: set by --threads\)/);
    expect(text).to.include('vision 1 (flag: set by --threads)');
    expect(text).to.include('fixed 1, run item by item');
  });

  it('--json gives the same facts as data, including the chosen variant', async () => {
    const { ctx, out } = context();
    await run(
      {
        _: [path.join(FIXTURES, 'models/formats/huggingface')],
        json: true,
        device: 'cpu',
        threads: '1',
        variant: 'quantized',
      },
      ctx,
    );
    const info = JSON.parse(out()) as Record<string, unknown> & { text: { uses: { output: string } } };
    expect(info).to.include({
      layout: 'huggingface',
      variant: 'quantized',
      dim: 8,
      contextLength: 16,
      executionProvider: 'cpu',
    });
    expect(info.text.uses.output).to.equal('text_embeds');
  });

  it('refuses a bad thread count', async () => {
    const { ctx } = context();
    const error = await run(
      { _: [path.join(FIXTURES, 'models/formats/openclip')], threads: 'many' },
      ctx,
    ).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'INVALID_INPUT');
  });
});
