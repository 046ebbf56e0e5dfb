/**
 * Which matcher parser a version uses, as matcher/compat decides it: 0.25 has only the classic parser
 * (pkg/labels); 0.27+ run "fallback" mode by default: the classic parser's answer wins whenever it
 * accepts the input (also when the UTF-8 parser reads it differently), the UTF-8 parser's answer is
 * taken when only it accepts (unquoted `a-b="x"`, `1abc="x"`, UTF-8 names, quoted names), and when
 * both reject, the classic error is the one shown. A single matcher (API filters) may not carry braces.
 */
import { Matcher, MatcherError, parseClassicMatcher, parseClassicMatchers } from './matcher.js';
import { utf8Matcher, utf8Matchers } from './utf8-parse.js';

/** compat.Matcher: one matcher (the API's `filter=`). `utf8` = the version has the UTF-8 parser (0.27+). */
export function parseMatcher(input: string, utf8: boolean): Matcher {
  if (!utf8) return parseClassicMatcher(input);
  if (input.startsWith('{') || input.endsWith('}')) throw new MatcherError(`unexpected open or close brace: ${input}`);
  try {
    return parseClassicMatcher(input);
  } catch (classicError) {
    const m = utf8Matcher(input);
    if (m) return m;
    throw classicError;
  }
}

/** compat.Matchers: a matcher list (config `matchers:` entries). */
export function parseMatchers(input: string, utf8: boolean): Matcher[] {
  if (!utf8) return parseClassicMatchers(input);
  try {
    return parseClassicMatchers(input);
  } catch (classicError) {
    const ms = utf8Matchers(input);
    if (ms) return ms;
    throw classicError;
  }
}
