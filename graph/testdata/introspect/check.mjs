// Reads an introspection result ({"data": {"__schema": ...}}) on stdin,
// builds a client schema from it with graphql-js and prints the schema in
// SDL; any inconsistency makes buildClientSchema (or validateSchema) throw.
import { buildClientSchema, printSchema, validateSchema } from "graphql";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const result = JSON.parse(input);
const schema = buildClientSchema(result.data);
const errors = validateSchema(schema);
if (errors.length > 0) {
  console.error(errors.map((e) => e.message).join("\n"));
  process.exit(1);
}
process.stdout.write(printSchema(schema));
