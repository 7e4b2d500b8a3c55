// The label names a PromQL expression's result carries, worked out from its syntax tree (lezer-promql) with
// Prometheus' own rules for aggregations and vector matching. An alert's labels are its result's labels, so this
// lets a test compare a rule with its catalogue entry without running Prometheus. Anything whose labels depend on
// the data (a bare selector, `without`, topk, label_replace) is `unknown`: a rule must aggregate `by` explicitly.
import { parser } from '@prometheus-io/lezer-promql';

type Node = ReturnType<typeof parser.parse>['topNode'];

export type ResultLabels = ReadonlySet<string> | 'scalar' | 'unknown';

// Aggregations whose result has exactly the grouping labels (topk, bottomk, limitk, count_values do not).
const GROUPING_AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar', 'quantile']);
const SCALAR_FUNCTIONS = new Set(['time', 'scalar', 'pi']);

function kids(node: Node): Node[] {
  const out: Node[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

function labelNames(grouping: Node | undefined, text: string): Set<string> {
  return new Set(grouping ? kids(grouping).map((n) => text.slice(n.from, n.to).replace(/^"|"$/g, '')) : []);
}

function same(a: ResultLabels, b: ResultLabels): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b && a !== 'unknown';
  return a.size === b.size && [...a].every((l) => b.has(l));
}

function aggregate(node: Node, text: string): ResultLabels {
  const op = kids(node).find((n) => n.name === 'AggregateOp');
  if (!op || !GROUPING_AGGREGATIONS.has(text.slice(op.from, op.to))) return 'unknown';
  const modifier = kids(node).find((n) => n.name === 'AggregateModifier');
  if (!modifier) return new Set();
  const [keyword, grouping] = kids(modifier);
  return keyword?.name === 'By' ? labelNames(grouping, text) : 'unknown';
}

function binary(node: Node, text: string): ResultLabels {
  const parts = kids(node);
  const lhs = parts[0];
  const rhs = parts[parts.length - 1];
  const op = parts[1]?.name;
  if (!lhs || !rhs || !op) return 'unknown';
  const left = labels(lhs, text);
  const right = labels(rhs, text);
  if (op === 'And' || op === 'Unless') return left;
  if (op === 'Or') return same(left, right) ? left : 'unknown';
  if (left === 'scalar') return right;
  if (right === 'scalar') return left;
  const matching = parts.find((n) => n.name === 'MatchingModifierClause');
  if (!matching) return left;
  const [keyword, grouping, group, include] = kids(matching);
  const listed = labelNames(grouping, text);
  if (group?.name === 'GroupLeft' || group?.name === 'GroupRight') {
    const many = group.name === 'GroupLeft' ? left : right;
    return many === 'unknown' ? 'unknown' : new Set([...many, ...labelNames(include, text)]);
  }
  // One-to-one matching keeps only the `on` labels, or the left side's minus the `ignoring` ones.
  if (keyword?.name === 'On') return listed;
  return left === 'unknown' ? 'unknown' : new Set([...left].filter((l) => !listed.has(l)));
}

function labels(node: Node, text: string): ResultLabels {
  switch (node.name) {
    case 'PromQL':
    case 'ParenExpr':
    case 'UnaryExpr': {
      const inner = kids(node).at(-1);
      return inner ? labels(inner, text) : 'unknown';
    }
    case 'NumberDurationLiteral':
      return 'scalar';
    case 'AggregateExpr':
      return aggregate(node, text);
    case 'BinaryExpr':
      return binary(node, text);
    case 'FunctionCall': {
      const name = kids(node).find((n) => n.name === 'FunctionIdentifier');
      const fn = name ? text.slice(name.from, name.to) : '';
      if (fn === 'vector') return new Set();
      return SCALAR_FUNCTIONS.has(fn) ? 'scalar' : 'unknown';
    }
    default:
      return 'unknown';
  }
}

/** The label names (besides `__name__`) of the expression's result; throws on a syntax error. */
export function resultLabels(expr: string): ResultLabels {
  const tree = parser.parse(expr);
  tree.iterate({
    enter(n) {
      if (n.type.isError) throw new Error(`PromQL syntax error at offset ${n.from} in: ${expr}`);
    },
  });
  return labels(tree.topNode, expr);
}
