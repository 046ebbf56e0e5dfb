/**
 * Toxiproxy's routes (gorilla/mux in api.go). Paths match exactly: no trailing slash, no empty segment.
 * A known path with another method is a 405; an unknown path a 404.
 */
export type RouteName =
  | 'version'
  | 'proxies'
  | 'populate'
  | 'reset'
  | 'proxy'
  | 'toxics'
  | 'toxic';

export interface RouteMatch {
  route: RouteName;
  methods: readonly string[];
  proxy?: string;
  toxic?: string;
}

export function matchRoute(pathname: string): RouteMatch | null {
  if (!pathname.startsWith('/')) return null;
  const raw = pathname.slice(1).split('/');
  let parts: string[];
  try {
    parts = raw.map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
  if (parts.some((p) => p === '')) return null;
  const [a, b, c, d] = parts;
  switch (parts.length) {
    case 1:
      if (a === 'version') return { route: 'version', methods: ['GET'] };
      if (a === 'proxies') return { route: 'proxies', methods: ['GET', 'POST'] };
      if (a === 'populate') return { route: 'populate', methods: ['POST'] };
      if (a === 'reset') return { route: 'reset', methods: ['POST'] };
      return null;
    case 2:
      return a === 'proxies' ? { route: 'proxy', methods: ['GET', 'POST', 'PATCH', 'DELETE'], proxy: b as string } : null;
    case 3:
      return a === 'proxies' && c === 'toxics' ? { route: 'toxics', methods: ['GET', 'POST'], proxy: b as string } : null;
    case 4:
      return a === 'proxies' && c === 'toxics'
        ? { route: 'toxic', methods: ['GET', 'POST', 'PATCH', 'DELETE'], proxy: b as string, toxic: d as string }
        : null;
    default:
      return null;
  }
}
