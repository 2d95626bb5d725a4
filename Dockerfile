# One image for every Zhibu process; the command picks the role:
#   zhibu web org | zhibu worker org | ... | zhibu web gateway | zhibu migrate
# It runs as uid/gid 999 (deploy/k8s runs it with runAsUser 999 and a read-only root file system:
# only /tmp and /var/lib/zhibu are written).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ZHIBU_HOST=0.0.0.0 ZHIBU_VAR_DIR=/var/lib/zhibu \
    PROMETHEUS_MULTIPROC_DIR=/tmp/zhibu-metrics
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY gateway ./gateway
COPY demo ./demo
COPY zhibu ./zhibu
RUN pip install --no-cache-dir . \
 && groupadd --system --gid 999 zhibu \
 && useradd --system --uid 999 --gid 999 --home /var/lib/zhibu --create-home zhibu
USER 999:999
EXPOSE 8000 8001 8002 8003 8004
CMD ["zhibu", "web", "gateway"]
