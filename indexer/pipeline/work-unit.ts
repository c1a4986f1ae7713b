/** What the preparing stages hand the batch writer: one decision per file or text. */
import type { ItemKind, ItemMove, ItemWrite, PairWrite, VideoWrite } from '../../src/store/library.types.ts';
import type { PreparedShot } from './plan-video.ts';

/** Everything about an item except its vector and status, which encoding decides. */
export type ItemDraft = Omit<ItemWrite, 'status' | 'vector' | 'error'>;

export type WorkUnit =
  /** Needs the vision tower. */
  | { readonly type: 'encode-image'; readonly draft: ItemDraft; readonly pixels: Float32Array }
  /** Needs the text tower; `pairs` link it to its image once written. */
  | {
      readonly type: 'encode-text';
      readonly draft: ItemDraft;
      readonly text: string;
      readonly pairs?: readonly PairWrite[];
    }
  /** Ready to write as is: a failure, an item whose vector was reused, or a metadata-only update (touched). */
  | {
      readonly type: 'write';
      readonly write: ItemWrite;
      readonly outcome: 'failed' | 'reused' | 'touched';
      readonly pairs?: readonly PairWrite[];
    }
  /** Same content elsewhere (moved) or same place with a new mtime (touched). */
  | {
      readonly type: 'move';
      readonly kind: ItemKind | 'video';
      readonly move: ItemMove;
      readonly outcome: 'moved' | 'touched';
    }
  /** A video whose shots are decoded lazily while the writer encodes them (bounded memory). */
  | {
      readonly type: 'encode-video';
      readonly draft: VideoDraft;
      readonly shots: AsyncIterable<PreparedShot>;
      readonly describe: () => Record<string, unknown>;
    }
  /** A video that failed before decoding (or a metadata-only change). */
  | { readonly type: 'write-video'; readonly write: VideoWrite; readonly outcome: 'failed' }
  /** Links only (caption unchanged, but the pair may be new). */
  | { readonly type: 'pairs'; readonly pairs: readonly PairWrite[] };

/** A video write without its status and shots, which decoding decides. */
export type VideoDraft = Omit<VideoWrite, 'status' | 'shots' | 'error'>;

export function unitKind(unit: WorkUnit): ItemKind | 'video' | undefined {
  switch (unit.type) {
    case 'encode-image':
      return 'image';
    case 'encode-text':
      return 'text';
    case 'write':
      return unit.write.kind;
    case 'move':
      return unit.kind;
    case 'pairs':
      return undefined;
    case 'encode-video':
    case 'write-video':
      return 'video';
  }
}
