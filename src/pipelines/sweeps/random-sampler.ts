/**
 * Random search: every parameter drawn from its own distribution (Bergstra &
 * Bengio 2012's baseline, and what TPE does for its first trials).
 * @module
 */
import type { Rng } from "./rng.js";
import type { Sampler, SampleContext } from "./sampler.js";
import { gridSize, gridValue, snapToGrid, type Distribution, type ParamValues, type Scalar, type SearchSpace, type SpaceParam } from "./search-space.js";

/** One draw from a distribution. */
export function sampleDistribution(dist: Distribution, rng: Rng): Scalar {
  switch (dist.kind) {
    case "uniform":
      return dist.low + rng.uniform() * (dist.high - dist.low);
    case "loguniform":
      return Math.exp(Math.log(dist.low) + rng.uniform() * (Math.log(dist.high) - Math.log(dist.low)));
    case "quniform":
      return gridValue(dist.low, dist.q, rng.int(0, gridSize(dist.low, dist.high, dist.q) - 1));
    case "qloguniform": {
      const x = Math.exp(Math.log(dist.low) + rng.uniform() * (Math.log(dist.high) - Math.log(dist.low)));
      return snapToGrid(x, dist.low, dist.high, dist.q);
    }
    case "normal":
      return dist.mu + dist.sigma * rng.normal();
    case "randint":
      return rng.int(dist.low, dist.high - 1);
    case "choice":
      return dist.options[rng.int(0, dist.options.length - 1)].value;
    case "const":
      return dist.value;
  }
}

/**
 * Walks the space's tree: `pick` gives each parameter's value, and a chosen
 * option's sub-space is walked next, so only active parameters get values.
 */
export function walkSpace(space: SearchSpace, pick: (param: SpaceParam) => Scalar, out: ParamValues = {}): ParamValues {
  for (const param of space) {
    const value = pick(param);
    out[param.name] = value;
    if (param.dist.kind === "choice") {
      const option = param.dist.options.find((o) => o.value === value);
      if (option?.space) walkSpace(option.space, pick, out);
    }
  }
  return out;
}

export function sampleSpace(space: SearchSpace, rng: Rng): ParamValues {
  return walkSpace(space, (p) => sampleDistribution(p.dist, rng));
}

export class RandomSampler implements Sampler {
  readonly name = "random" as const;
  constructor(private readonly space: SearchSpace) {}

  sample(ctx: SampleContext): ParamValues {
    return sampleSpace(this.space, ctx.rng);
  }
}
