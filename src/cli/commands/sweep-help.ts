/** `ciclo sweep --help`: what happens, exit codes, examples and the space syntax. */
export const SWEEP_EXAMPLES = `
Each trial is a child run of the sweep's run, with the sampled values as its
params (they reach the entry point as -P name=value) and the metrics the
training code logs with the ciclo SDK or Python's mlflow client. The objective
is the last value of --metric. With --early-stop, trials log --metric (or
--intermediate-metric) by step, and lagging ones are stopped (SIGTERM) and
recorded as pruned. The sweep run gets best_<metric> by trials done, the best
trial and parameter importances as tags, and sweep/summary.json.

Exit code: 0 when at least one trial completed; 1 when none did, or the
server failed; 2 for a bad space, project or option (no run created); 130
when interrupted (Ctrl-C stops the running trials; --resume continues).

Examples:
  $ ciclo sweep . -e train --space space.yaml --metric val_loss --mode min --trials 50 --parallel 2
  $ ciclo sweep . -e train --space space.yaml --metric acc --mode max --sampler random --seed 7
  $ ciclo sweep . --sampler grid --space grid.yaml --metric val_loss      # every grid point once
  $ ciclo sweep . -e train --space space.yaml --metric val_loss --early-stop asha --min-resource 1 --reduction-factor 3
  $ ciclo sweep . --timeout 2h --trials 500 --parallel 4                   # settings from ciclo.yaml's sweep:
  $ ciclo sweep --resume 3f9c0e5a7d2b4c1e8f6a9b0c1d2e3f4a --trials 80      # continue an interrupted sweep
  $ ciclo sweep . --json | jq .summary.best

space.yaml:
  lr: { loguniform: [1.0e-4, 0.1] }
  epochs: { quniform: [5, 50, 5] }       # 5, 10, …, 50
  depth: { randint: [2, 12] }            # 2 ≤ depth < 12
  dropout: { uniform: [0.0, 0.5] }
  optimizer: { choice: [adam, sgd] }
  model:                                 # nested: C only for svm, trees only for forest
    choice:
      svm: { C: { loguniform: [0.01, 10] } }
      forest: { trees: { quniform: [50, 500, 50] } }

Also: qloguniform [low, high, q], normal [mu, sigma], and constants (seed: 7).`;
