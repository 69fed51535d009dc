#!/usr/bin/env bash
# Make sure PostgreSQL, Redis and RabbitMQ answer on 127.0.0.1, starting (or installing) them
# if not. RabbitMQ is only there for the test that counts queued messages on it (/status/).
# Used by CI and `make services`; needs root for apt-get and starting the daemons.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
amqp_up() { (echo >/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null || ! command -v redis-server >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
    # A fresh Debian cluster asks for passwords on TCP; tests connect as postgres over
    # loopback, as on the project's machines (trust for 127.0.0.1 only).
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
        grep -q "^host all all 127.0.0.1/32 trust" "$hba" ||
            sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    done
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main restart || true
fi
if ! pg_up; then
    echo "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! redis_up; then
    echo "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! amqp_up; then
    if ! command -v rabbitmq-server >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    fi
    amqp_up || { echo "starting RabbitMQ"; rabbitmq-server -detached >/dev/null 2>&1 || true; }
fi
for _ in $(seq 1 60); do
    if pg_up && redis_up && amqp_up; then
        echo "PostgreSQL, Redis and RabbitMQ are up"
        exit 0
    fi
    sleep 1
done
echo "PostgreSQL, Redis or RabbitMQ did not come up" >&2
exit 1
