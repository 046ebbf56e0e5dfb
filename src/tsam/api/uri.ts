/**
 * go-openapi's `uri` format, which an alert's generatorURL must have: Go's url.ParseRequestURI
 * succeeds. That is: no ASCII control byte; either `*`, an absolute path, or a scheme followed by
 * an opaque part or `//authority/path`; the authority's host may hold only the characters Go
 * allows in hosts, a port only digits, `%` escapes must be well formed. Spaces in a path are fine
 * (Go accepts them there), in a host they are not. WHATWG's URL parser is more forgiving, hence this.
 */

const HEX = /^[0-9a-fA-F]{2}$/;

/** Go's unescape(): every `%` starts two hex digits; in a host, only non-ASCII may be escaped (or %25). */
function unescapeOk(s: string, host: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!HEX.test(h)) return false;
      if (host && parseInt(h[0]!, 16) < 8 && s.slice(i, i + 3) !== '%25') return false;
      i += 2;
    } else if (host && c.charCodeAt(0) < 0x80 && !hostByteOk(c)) {
      return false;
    }
  }
  return true;
}

/** shouldEscape(c, encodeHost) is false. */
function hostByteOk(c: string): boolean {
  return /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]/.test(c);
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true;
  return /^:[0-9]*$/.test(port);
}

function hostOk(host: string): boolean {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) return false;
    if (!validOptionalPort(host.slice(i + 1))) return false;
  } else {
    const i = host.lastIndexOf(':');
    if (i >= 0 && !validOptionalPort(host.slice(i))) return false;
  }
  return unescapeOk(host, true);
}

function authorityOk(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  if (!hostOk(at < 0 ? authority : authority.slice(at + 1))) return false;
  if (at < 0) return true;
  const userinfo = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) return false;
  return userinfo.split(':').slice(0, 2).every((part) => unescapeOk(part, false));
}

/** url.ParseRequestURI(s) returns no error. */
export function isGoRequestURI(s: string): boolean {
  if (s === '') return false;
  // stringContainsCTLByte
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  if (s === '*') return true;
  // getScheme
  let scheme = '';
  let rest = s;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) return false; // missing protocol scheme
      scheme = s.slice(0, i);
      rest = s.slice(i + 1);
    }
    break;
  }
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf('?');
    if (q >= 0) rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) return scheme !== ''; // opaque (mailto:x), or "invalid URI for request"
  if (scheme !== '' && rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    let path = '';
    if (slash >= 0) {
      path = authority.slice(slash);
      authority = authority.slice(0, slash);
    }
    if (!authorityOk(authority)) return false;
    rest = path;
  }
  return unescapeOk(rest, false);
}
