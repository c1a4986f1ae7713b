// Worker bootstrap: the sources are TypeScript, so load tsx's loader in this thread first.
import { register } from 'tsx/esm/api';

register();
await import('./preprocess-worker.ts');
