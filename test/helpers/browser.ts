/**
 * Headless Chromium for the browser tests, with nothing installed by apt.
 *
 * Uses a system Chromium when one is there (`CLIPDEX_CHROMIUM`, then /usr/bin/chromium), otherwise the
 * build that the `@sparticuz/chromium` npm package ships inside its tarball (brotli-packed: the binary, the
 * NSS libraries it links, SwiftShader). It is unpacked once per version into the temp dir, atomically, so
 * parallel test processes never run a half-written binary. CJK and emoji glyphs come from npm font packages
 * (`@embedpdf/fonts-sc`: Noto Sans SC as OTF; `@expo-google-fonts/noto-emoji`: Noto Emoji as TTF) through a
 * generated fonts.conf: Chromium's fontconfig reads sfnt files only (not woff/woff2), hence those packages.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { extract } from 'tar-fs';

const require = createRequire(import.meta.url);
const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const COMMON_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

export interface ChromiumInstall {
  readonly executablePath: string;
  readonly source: 'system' | 'npm';
  readonly env: Readonly<Record<string, string>>;
  readonly args: readonly string[];
}

/** Launches headless Chromium: the system one if present, else the npm-delivered one. */
export async function launchChromium(): Promise<Browser> {
  const install = await findChromium();
  return chromium.launch({
    executablePath: install.executablePath,
    args: [...install.args],
    env: { ...process.env, ...install.env },
  });
}

export async function findChromium(): Promise<ChromiumInstall> {
  const fromEnv = process.env['CLIPDEX_CHROMIUM'];
  const system = fromEnv ?? (existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined);
  if (system !== undefined) {
    return { executablePath: system, source: 'system', env: {}, args: ['--headless', ...COMMON_ARGS] };
  }
  const dir = await unpackedChromium();
  return {
    executablePath: path.join(dir, 'chromium'),
    source: 'npm',
    // The NSS/NSPR/expat libraries the binary links come with it: a bare Debian has none of them.
    env: {
      LD_LIBRARY_PATH: [path.join(dir, 'lib'), process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':'),
      FONTCONFIG_FILE: await writeFontsConf(dir),
    },
    // The package ships chrome-headless-shell; it needs no zygote (no sandbox helper as root).
    args: ['--no-zygote', ...COMMON_ARGS],
  };
}

/** The folder of an installed package (its `exports` may hide package.json from require.resolve). */
function packageRoot(name: string): string {
  const entry = require.resolve(name);
  const marker = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`;
  return entry.slice(0, entry.lastIndexOf(marker) + marker.length - 1);
}

/** The unpacked npm Chromium directory, unpacking it first if this version is not there yet. */
async function unpackedChromium(): Promise<string> {
  const pkg = packageRoot('@sparticuz/chromium');
  const { version } = JSON.parse(await readFile(path.join(pkg, 'package.json'), 'utf8')) as {
    version: string;
  };
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  const dir = path.join(os.tmpdir(), `clipdex-chromium-${version}-${uid}`);
  if (existsSync(path.join(dir, 'chromium'))) return dir;

  const bin = path.join(pkg, 'bin');
  const staging = await mkdtemp(`${dir}.partial-`);
  try {
    await pipeline(
      createReadStream(path.join(bin, 'chromium.br')),
      createBrotliDecompress(),
      createWriteStream(path.join(staging, 'chromium'), { mode: 0o755 }),
    );
    for (const archive of ['al2023.tar.br', 'swiftshader.tar.br', 'fonts.tar.br']) {
      await pipeline(createReadStream(path.join(bin, archive)), createBrotliDecompress(), extract(staging));
    }
    await rename(staging, dir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    // Another process won the race: its complete copy is as good as ours.
    if (!(await stat(path.join(dir, 'chromium')).catch(() => undefined))) throw e;
  }
  return dir;
}

/** A fonts.conf naming this checkout's font packages (one per checkout: the unpacked browser is shared). */
async function writeFontsConf(dir: string): Promise<string> {
  const dirs = [
    path.join(dir, 'fonts'), // Open Sans, shipped with the Chromium package
    path.join(packageRoot('@embedpdf/fonts-sc'), 'fonts'),
    packageRoot('@expo-google-fonts/noto-emoji'),
  ];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const text = [
    '<?xml version="1.0"?>',
    '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
    '<fontconfig>',
    ...dirs.map((d) => `  <dir>${esc(d)}</dir>`),
    `  <cachedir>${esc(path.join(dir, 'fontconfig-cache'))}</cachedir>`,
    '</fontconfig>',
    '',
  ].join('\n');
  const file = path.join(dir, `fonts-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.conf`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}`;
    await writeFile(tmp, text);
    await rename(tmp, file);
  }
  return file;
}
