import argon2 from 'argon2';

/** argon2id cost; the defaults are the OWASP minimum (19 MiB, t=2, p=1). */
export interface HashParams {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export const OWASP_MINIMUM: HashParams = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * argon2id hashing with a bound on how many hashes run at once: each one takes tens of MiB and ~100 ms
 * of CPU, so a burst of password steps queues here instead of starving the process.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly params: HashParams = OWASP_MINIMUM,
    private readonly maxConcurrent = 2,
  ) {}

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  /** How many hash operations wait for a slot right now (for metrics and the benchmark). */
  get queued(): number {
    return this.waiting.length;
  }

  hash(password: string): Promise<string> {
    const normalised = normalise(password);
    return this.slot(() => argon2.hash(normalised, { type: argon2.argon2id, ...this.params }));
  }

  /** False for a wrong password and for a malformed hash; never throws for user input. */
  verify(hash: string, password: string): Promise<boolean> {
    return this.slot(async () => {
      try {
        return await argon2.verify(hash, normalise(password));
      } catch {
        return false;
      }
    });
  }

  /** True when the hash was made with weaker parameters than the current ones. */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, { ...this.params });
    } catch {
      return true;
    }
  }
}

/**
 * Unicode normalisation (NFC) before hashing and verifying: the same password typed on keyboards that
 * compose accents differently must give the same hash (NIST 800-63B 5.1.1.2).
 */
function normalise(password: string): string {
  return password.normalize('NFC');
}
