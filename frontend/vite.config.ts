// Vite builds the SPA into the backend package, which serves it at / (backend/leadflow/app.py).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const backend = "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../backend/leadflow/static",
    emptyOutDir: true,
  },
  server: {
    // `npm run dev` next to `make run`: the API and the login come from the real backend.
    proxy: { "/graphql": backend, "/auth": backend, "/files": backend },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
