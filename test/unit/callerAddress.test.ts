import { HttpRequest } from '@azure/functions';

import { callerAddress } from '../../shared/web/http';

const request = (headers: Record<string, string>) =>
  new HttpRequest({ method: 'POST', url: 'https://warden.example/api/approvals/p1', headers });

describe('callerAddress: the address the platform saw, and what the caller claimed', () => {
  test('CLIENT-IP, which App Service sets over any the caller sent, is the address', () => {
    expect(
      callerAddress(
        request({ 'client-ip': '198.51.100.7:50123', 'x-forwarded-for': '203.0.113.66, 198.51.100.7:50123' }),
      ),
    ).toEqual({ ip: '198.51.100.7', claimedForwardedFor: '203.0.113.66' });
  });

  test('without CLIENT-IP the last X-Forwarded-For hop (the one the front end appends) is the address', () => {
    expect(callerAddress(request({ 'x-forwarded-for': '203.0.113.66,10.0.0.1, 198.51.100.7:443' }))).toEqual({
      ip: '198.51.100.7',
      claimedForwardedFor: '203.0.113.66, 10.0.0.1',
    });
  });

  test('a forged first entry never becomes the address', () => {
    const forged = callerAddress(request({ 'x-forwarded-for': '203.0.113.66, 192.0.2.10:1234' }));
    expect(forged.ip).toBe('192.0.2.10');
    expect(forged.ip).not.toBe('203.0.113.66');
  });

  test('IPv6 hops, bracketed with a port or bare, lose only the port', () => {
    expect(callerAddress(request({ 'client-ip': '[2001:db8::1]:51234' })).ip).toBe('2001:db8::1');
    expect(callerAddress(request({ 'x-forwarded-for': '2001:db8::2' })).ip).toBe('2001:db8::2');
  });

  test('no header, no address (nothing is made up)', () => {
    expect(callerAddress(request({}))).toEqual({});
  });
});
