// PostGraphile 4 beside Leadflow for bench/leads_page.py: serves GraphQL over the same
// PostgreSQL database on POST /graphql, and GET /healthz for the bench's readiness check.
// Configured by DATABASE_URL, HOST and PORT. Production settings: no query log, no GraphiQL,
// no schema watching, no mutations (the page only reads).
"use strict";

const http = require("http");
const { postgraphile } = require("postgraphile");

const middleware = postgraphile(process.env.DATABASE_URL, "public", {
  graphqlRoute: "/graphql",
  graphiql: false,
  watchPg: false,
  disableQueryLog: true,
  disableDefaultMutations: true,
  retryOnInitFail: false,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  extendedErrors: ["hint", "detail", "errcode"],
});

const server = http.createServer((request, response) => {
  if (request.url === "/healthz") {
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end('{"status":"ok"}');
    return;
  }
  middleware(request, response);
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT || 5000), process.env.HOST || "127.0.0.1");
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
