// GraphQL Code Generator: typed documents for every `graphql(...)` call in src/, from the
// committed contract ../schema.graphql. `npm run codegen:check` fails when src/gql/ is stale.
// Fragments are masked: a query that spreads a component's fragment sees only a reference, and
// the component reads its fields with getFragmentData, so each selection is written once, next
// to the component that shows it.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: { unmaskFunctionName: "getFragmentData" } },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { Date: "string", DateTime: "string", Decimal: "string" },
      },
    },
  },
};

export default config;
