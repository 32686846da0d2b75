import { serializeRequest } from './logger.module.js';

describe('serializeRequest', () => {
  it('logs header values only for harmless headers and never a query string', () => {
    const out = serializeRequest({
      id: 'r1',
      method: 'GET',
      url: '/query?query=%7B%20x(filter%3A%20%22pw%22)%20%7D',
      headers: {
        host: 'node:15000',
        'user-agent': 'curl',
        'x-request-id': 'abc',
        'x-hugr-secret-key': 'admin-key',
        'x-gateway-key': 'static-key',
        authorization: 'Bearer t',
        cookie: 'session=s',
      },
      remoteAddress: '127.0.0.1',
      remotePort: 5000,
    });
    expect(out).toEqual({
      id: 'r1',
      method: 'GET',
      url: '/query?[redacted]',
      headers: {
        host: 'node:15000',
        'user-agent': 'curl',
        'x-request-id': 'abc',
        'x-hugr-secret-key': '[redacted]',
        'x-gateway-key': '[redacted]',
        authorization: '[redacted]',
        cookie: '[redacted]',
      },
      remoteAddress: '127.0.0.1',
      remotePort: 5000,
    });
  });

  it('keeps a plain path as it is', () => {
    expect(serializeRequest({ method: 'POST', url: '/graphql', headers: {} }).url).toBe('/graphql');
  });
});
