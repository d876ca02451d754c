// Vite builds the SPA into the backend package, which serves it at / (backend/leadflow/app.py),
// and, as a second page with its own bundle, the GraphQL playground that /graphql serves
// (backend/leadflow/api/playground.py). The SPA's chunks never load GraphiQL.
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const backend = "http://127.0.0.1:8000";
const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../backend/leadflow/static",
    emptyOutDir: true,
    rolldownOptions: {
      input: { app: page("index.html"), playground: page("playground.html") },
      onwarn(warning, warn) {
        // GraphiQL's packages start modules with React Compiler directives ("use no memo");
        // the bundle drops them, which is harmless without the compiler (one warning each).
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
  server: {
    // The texts are JSON files of the backend package (src/i18n.ts imports them).
    fs: { allow: [page("."), page("../backend/leadflow/i18n")] },
    // `npm run dev` next to `make run`: the API and the login come from the real backend.
    proxy: { "/graphql": backend, "/auth": backend, "/files": backend },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
