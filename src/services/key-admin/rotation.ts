import { and, desc, eq } from 'drizzle-orm';
import type { Database, Db } from '../../db/client';
import { tenantKeyRotations } from '../../db/schema';
import { contactsNotUnder, reencryptContacts } from '../crm/contact-keys';
import type { KeyService } from '../keys/tenant-keys';

/** A key rotation: version `targetVersion` became active; older rows are re-encrypted under it. */
export type RotationRecord = typeof tenantKeyRotations.$inferSelect;

export const DEFAULT_ROTATION_BATCH = 500;

export interface RotateOptions {
  /** Rows re-encrypted per transaction (default 500). */
  batchSize?: number;
  /** Stop after this many batches, leaving the rotation running (resumable); for tests and slices. */
  maxBatches?: number;
  /** Only continue a running rotation; never start one. */
  resumeOnly?: boolean;
  /** Checked between batches: stop cleanly (the rotation stays resumable). */
  shouldStop?: () => boolean;
  /** Called after each committed batch. */
  onBatch?: (rotation: RotationRecord) => void;
}

/** The running rotation of a tenant, if any. */
export async function runningRotation(tx: Db, tenantId: string): Promise<RotationRecord | null> {
  const [row] = await tx
    .select()
    .from(tenantKeyRotations)
    .where(and(eq(tenantKeyRotations.tenantId, tenantId), eq(tenantKeyRotations.status, 'running')))
    .limit(1);
  return row ?? null;
}

/** The tenant's most recent rotation, if any. */
export async function latestRotation(tx: Db, tenantId: string): Promise<RotationRecord | null> {
  const [row] = await tx
    .select()
    .from(tenantKeyRotations)
    .where(eq(tenantKeyRotations.tenantId, tenantId))
    .orderBy(desc(tenantKeyRotations.startedAt), desc(tenantKeyRotations.targetVersion))
    .limit(1);
  return row ?? null;
}

/** Continues the running rotation, or starts one (a new active version) when none runs. */
export async function startOrResumeRotation(tx: Db, keys: KeyService, tenantId: string): Promise<RotationRecord> {
  const running = await runningRotation(tx, tenantId);
  if (running) return running;
  const { rotationId } = await keys.rollover(tx, tenantId, 'requested');
  const [row] = await tx.select().from(tenantKeyRotations).where(eq(tenantKeyRotations.id, rotationId));
  if (!row) throw new Error('rotation row vanished');
  return row;
}

/**
 * One batch of a rotation, in the caller's transaction: counts the seals on the target version
 * (taking its row lock first, the same order as every write), locks the rotation row, re-encrypts
 * the next rows after the saved cursor and saves the cursor. At the end of the id range it checks
 * that nothing is left under older versions (else it makes another pass) and marks the rotation done.
 */
export async function rotateBatch(tx: Db, keys: KeyService, tenantId: string, rotationId: string, batchSize: number): Promise<RotationRecord> {
  const target = await keys.reserve(tx, tenantId, batchSize, { rollover: false });
  const [job] = await tx
    .select()
    .from(tenantKeyRotations)
    .where(and(eq(tenantKeyRotations.tenantId, tenantId), eq(tenantKeyRotations.id, rotationId)))
    .for('update');
  if (!job) throw new Error('rotation not found');
  if (job.status !== 'running' || job.targetVersion !== target.version) return job;
  const batch = await reencryptContacts(tx, keys, tenantId, target, job.cursor, batchSize);
  const now = new Date();
  const progress = {
    reencrypted: job.reencrypted + batch.reencrypted,
    unreadable: job.unreadable + batch.unreadable,
    batches: job.batches + 1,
    updatedAt: now,
  };
  let set: Partial<RotationRecord>;
  if (batch.scanned === batchSize) {
    set = { ...progress, cursor: batch.lastId };
  } else {
    const left = await contactsNotUnder(tx, tenantId, target.version);
    set =
      left <= progress.unreadable
        ? { ...progress, cursor: null, status: 'done', finishedAt: now }
        : { ...progress, cursor: null, unreadable: 0 };
  }
  const [updated] = await tx.update(tenantKeyRotations).set(set).where(eq(tenantKeyRotations.id, rotationId)).returning();
  if (!updated) throw new Error('rotation row vanished');
  return updated;
}

/**
 * Rotates a tenant's data key: a new version becomes active (or the running rotation is continued),
 * then contacts are re-encrypted in batches, each batch its own transaction with its cursor saved,
 * so a process killed at any point resumes where it stopped on the next call. Returns the rotation
 * as it stands (status `done`, or `running` when stopped early), or null when `resumeOnly` found none.
 */
export async function rotateTenantKey(
  database: Database,
  keys: KeyService,
  tenantId: string,
  options: RotateOptions = {},
): Promise<RotationRecord | null> {
  const batchSize = options.batchSize ?? DEFAULT_ROTATION_BATCH;
  let rotation = await database.withTenant(tenantId, (tx) =>
    options.resumeOnly ? runningRotation(tx, tenantId) : startOrResumeRotation(tx, keys, tenantId),
  );
  if (!rotation) return null;
  for (let batches = 0; rotation.status === 'running'; batches += 1) {
    if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
    if (options.shouldStop?.()) break;
    const id = rotation.id;
    rotation = await database.withTenant(tenantId, async (tx) => {
      const after = await rotateBatch(tx, keys, tenantId, id, batchSize);
      // A write crossed the seal threshold meanwhile: its rotation covers every row, continue that one.
      return after.status === 'superseded' ? ((await runningRotation(tx, tenantId)) ?? after) : after;
    });
    options.onBatch?.(rotation);
  }
  return rotation;
}

/**
 * Starts or continues a rotation inside the caller's transaction (the GraphQL mutation), doing at
 * most `maxRows` rows of re-encryption; calling again continues where this stopped.
 */
export async function rotateWithin(
  tx: Db,
  keys: KeyService,
  tenantId: string,
  options: { maxRows: number; batchSize?: number },
): Promise<RotationRecord> {
  const batchSize = options.batchSize ?? DEFAULT_ROTATION_BATCH;
  let rotation = await startOrResumeRotation(tx, keys, tenantId);
  for (let rows = 0; rotation.status === 'running' && rows < options.maxRows; rows += batchSize) {
    rotation = await rotateBatch(tx, keys, tenantId, rotation.id, batchSize);
  }
  return rotation;
}

/**
 * Re-wraps every live key version of the tenant under its current key-encryption key (after BYOK
 * material changed); contact rows are not touched.
 */
export function rewrapTenantKeys(tx: Db, keys: KeyService, tenantId: string): Promise<number> {
  return keys.rewrap(tx, tenantId);
}
