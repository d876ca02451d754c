# Production image: the web app built with Node, then the leadflow package on Python 3.11,
# configured by environment.
FROM node:20-slim AS web
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
COPY schema.graphql /src/schema.graphql
# vite writes into ../backend/leadflow/static (see frontend/vite.config.ts)
RUN mkdir -p /src/backend/leadflow && npm run build

FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
COPY backend ./backend
COPY --from=web /src/backend/leadflow/static ./backend/leadflow/static
RUN pip install --no-cache-dir -r requirements.lock && pip install --no-cache-dir --no-deps .
ENV LEADFLOW_HOST=0.0.0.0 LEADFLOW_PORT=8000
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["leadflow", "serve"]
