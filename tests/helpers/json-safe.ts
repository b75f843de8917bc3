/**
 * Where `value` stops being plain JSON data, as a message naming the path (`$.parts[2].maxAbsDiff
 * is NaN`), or null when it is JSON-safe. JSON.stringify hides these problems: it writes NaN and
 * ±Infinity as null, drops undefined properties, writes undefined array elements as null and
 * typed arrays as index-keyed objects.
 */
export function jsonSafetyProblem(value: unknown, path = '$'): string | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${value}`;
    case 'undefined':
      return `${path} is undefined`;
    case 'object':
      break;
    default:
      return `${path} is a ${typeof value}`;
  }
  if (ArrayBuffer.isView(value)) {
    // Walked so that the message names a non-finite element; the round trip then fails on the type.
    const elements = value as unknown as ArrayLike<number | bigint>;
    for (let i = 0; i < elements.length; i++) {
      const problem = jsonSafetyProblem(elements[i], `${path}[${i}]`);
      if (problem !== null) return problem;
    }
    return `${path} is a ${value.constructor.name} (JSON writes it as an object with index keys)`;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      // `i in value` catches holes, which JSON writes as null.
      const problem = i in value ? jsonSafetyProblem(value[i], `${path}[${i}]`) : `${path}[${i}] is a hole`;
      if (problem !== null) return problem;
    }
    return null;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return `${path} is a ${value.constructor?.name ?? 'non-plain object'}, not a plain object`;
  for (const [key, child] of Object.entries(value)) {
    const problem = jsonSafetyProblem(child, /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);
    if (problem !== null) return problem;
  }
  return null;
}

/**
 * Asserts that `value` is plain JSON data: no NaN, ±Infinity, undefined, typed array or class
 * instance anywhere (the failure names the path of the first one), and a JSON round trip gives it
 * back unchanged.
 */
export function expectJsonSafe(value: unknown): void {
  expect(jsonSafetyProblem(value)).toBeNull();
  expect(JSON.parse(JSON.stringify(value))).toEqual(value);
}
