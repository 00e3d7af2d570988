// The part of OData $filter the Entra fake evaluates for GET /v1.0/users (microsoft-graph-docs-contrib
// api-reference/v1.0/api/user-list.md and concepts/filter-query-parameter.md): clauses joined by
// `or`, each `prop eq 'value'` or `startswith(prop,'value')`, a quote inside a value doubled ('').
// Both compare case-insensitively, as the directory does. Anything else is refused with Graph's
// 400 codes (BadRequest for syntax, Request_UnsupportedQuery for a property it cannot filter on).

const EQ = ['id', 'mail', 'userPrincipalName', 'displayName', 'mobilePhone'];
const STARTSWITH = ['displayName', 'givenName', 'surname', 'mail', 'userPrincipalName'];
const STRING = "'((?:[^']|'')*)'";
const CLAUSE = new RegExp(`^(?:(\\w+) eq ${STRING}|startswith\\((\\w+),\\s?${STRING}\\))`);

/** Users matching `filter`, or {error, code} when Graph would refuse it. */
export function filterUsers(users, filter) {
  const tests = [];
  let rest = filter.trim();
  for (;;) {
    const m = CLAUSE.exec(rest);
    if (!m) return { code: 'BadRequest', error: `Invalid filter clause: syntax error at '${rest.slice(0, 40)}'.` };
    const [prop, op, raw] = m[1] ? [m[1], 'eq', m[2]] : [m[3], 'startswith', m[4]];
    if (!(op === 'eq' ? EQ : STARTSWITH).includes(prop)) return { code: 'Request_UnsupportedQuery', error: `Unsupported or invalid query filter clause specified for property '${prop.slice(0, 40)}' of resource 'User'.` };
    const value = raw.replace(/''/g, "'").toLowerCase();
    tests.push((u) => {
      const v = typeof u[prop] === 'string' ? u[prop].toLowerCase() : undefined;
      return v !== undefined && (op === 'eq' ? v === value : v.startsWith(value));
    });
    rest = rest.slice(m[0].length);
    if (!rest) break;
    if (!rest.startsWith(' or ')) return { code: 'BadRequest', error: `Invalid filter clause: syntax error at '${rest.slice(0, 40)}'.` };
    rest = rest.slice(4);
  }
  return users.filter((u) => tests.some((t) => t(u)));
}
