import {
  GraphQLError,
  type GraphQLSchema,
  GraphQLScalarType,
  Kind,
  type ValueNode,
  valueFromASTUntyped,
} from 'graphql';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;
const INTEGER = /^-?\d{1,19}$/;

type Check = (value: unknown) => unknown;

function stringMatching(name: string, re: RegExp, example: string): Check {
  return (value) => {
    if (typeof value !== 'string' || !re.test(value))
      throw new GraphQLError(`${name} expects a string like "${example}"`);
    return value;
  };
}

const CHECKS: Record<string, Check> = {
  BigInt: (value) => {
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && INTEGER.test(value)) return value;
    throw new GraphQLError('BigInt expects an integer');
  },
  Date: stringMatching('Date', DATE, '2025-03-15'),
  Time: stringMatching('Time', TIME, '09:00:00'),
  Timestamp: stringMatching('Timestamp', TIMESTAMP, '2025-03-15T09:00:00Z'),
  DateTime: stringMatching('DateTime', TIMESTAMP, '2025-03-15T09:00:00'),
  Interval: (value) => {
    if (typeof value !== 'string' || value.length > 100)
      throw new GraphQLError('Interval expects a string like "1 day"');
    return value;
  },
};

/** Gives the schema's custom scalars input checks, so bad values are GraphQL errors, not database errors. */
export function installScalars(schema: GraphQLSchema): void {
  for (const [name, check] of Object.entries(CHECKS)) {
    const type = schema.getType(name);
    if (!(type instanceof GraphQLScalarType)) continue;
    type.parseValue = check;
    type.parseLiteral = (node: ValueNode, variables?: Record<string, unknown> | null) => {
      if (node.kind === Kind.INT && name === 'BigInt') return check(node.value);
      return check(valueFromASTUntyped(node, variables));
    };
  }
}
