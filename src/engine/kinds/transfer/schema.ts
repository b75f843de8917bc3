import { z } from 'zod';

/** A domain shift of the fine-tune (target) inputs: x' = clip(x * contrast + brightness, 0, 1). */
export const domainShiftSchema = z
  .object({
    /** Added after scaling; MNIST pixels are in [0, 1]. */
    brightness: z.number().min(-1).max(1),
    /** Multiplies every pixel first; 1 keeps the contrast. */
    contrast: z.number().min(0).max(10),
  })
  .strict();

/**
 * The fields of a `kind: transfer` scenario, without the fields every scenario has (id,
 * description, provenance, tags, backends, invariant). src/scenarios/schema.ts spreads them next
 * to its common fields: `z.object({ ...common, ...transferFields }).strict()`.
 */
export const transferFields = {
  kind: z.literal('transfer'),
  dataset: z.literal('mnist'),
  /**
   * The base: an MLP (Dense+BN twice) or a small conv net (Conv2D+BN), pre-trained here on digits
   * 0-4; or `mobilenet_v2`, nsfwjs's pre-trained MobileNetV2 (see kinds/transfer/pretrained-base.ts).
   */
  architecture: z.enum(['mlp', 'conv', 'mobilenet_v2']),
  /** The fine-tune variant whose final-epoch mode gap the scenario asserts on. */
  variant: z.enum(['frozen', 'control']),
  /** Fine-tune epochs of the new head. */
  epochs: z.number().int().min(1).max(50).default(3),
  /** Data sizes and pre-training length; see PROFILES in src/transfer/mnist-data.ts. */
  profile: z.enum(['quick', 'full']).default('quick'),
  domainShift: domainShiftSchema.optional(),
  /** Largest allowed |training-mode accuracy - inference-mode accuracy|, in percentage points. */
  maxGapPoints: z.number().min(0).max(100).default(5),
  seed: z.number().int().nonnegative().default(1),
};

/** The transfer fields as a schema of their own (what {@link runTransferScenario} needs). */
export const transferSpecSchema = z.object(transferFields).strict();

/** A parsed transfer scenario's own fields (defaults filled in). */
export type TransferSpec = z.infer<typeof transferSpecSchema>;

/** A domain shift, parsed. */
export type DomainShift = z.infer<typeof domainShiftSchema>;
