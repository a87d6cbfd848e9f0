#!/usr/bin/env bash
# One optimize study spread over a Slurm array of 8 tasks: task K runs shard
# K/8 and writes its trials to one PostgreSQL (GPT_TRADER_DB). A killed or
# preempted task continues its shard when it is run again.
#SBATCH --job-name=gpt-trader-sweep
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
set -euo pipefail
: "${GPT_TRADER_DB:?set GPT_TRADER_DB=postgres://user@host:5432/db}"
exec gpt-trader optimize --symbols SPY --strategy demo_ma \
    --param fast=2..100 --param slow=10..400:5 --constraint 'fast < slow' \
    --objective sharpe_ratio --study spy-sma \
    --shard "${SLURM_ARRAY_TASK_ID}/8" --jobs "${SLURM_CPUS_PER_TASK}"
