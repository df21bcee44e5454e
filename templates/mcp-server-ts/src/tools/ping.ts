export function ping() {
  return { ok: true, message: 'pong' };
}
