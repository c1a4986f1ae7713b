/**
 * Requests Node's HTTP parser rejects before express sees them (a URL or headers over
 * `http.maxHeaderSize`, a malformed request line) still get the API's error shape
 * `{error:{code,message,requestId}}` instead of Node's bare status line.
 */
import { randomUUID } from 'node:crypto';
import { maxHeaderSize } from 'node:http';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../src/errors.ts';
import { errorBody } from './middleware/error-handler.ts';

function answer(socket: Duplex, status: number, reason: string, code: ErrorCode, message: string): void {
  const id = randomUUID();
  const body = JSON.stringify(errorBody(code, message, id));
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${id}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset or a half-written response: nothing can be said any more.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (error.code === 'HPE_HEADER_OVERFLOW') {
      answer(
        socket,
        431,
        'Request Header Fields Too Large',
        'TOO_LARGE',
        `the URL and headers are larger than ${maxHeaderSize} bytes; send a long query as POST /api/search with a JSON body`,
      );
      return;
    }
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      answer(socket, 408, 'Request Timeout', 'TIMEOUT', 'the request did not arrive in time');
      return;
    }
    answer(socket, 400, 'Bad Request', 'INVALID_INPUT', 'malformed HTTP request');
  });
}
