/**
 * @module services/ecr/validation — model-driven input validation for ECR, answered as ECR answers
 * it: `InvalidParameterException: Invalid parameter at 'imageIds' failed to satisfy constraint:
 * 'Member must have length less than or equal to 100'`, one violation per message
 * (trek10inc/ecr-cleaner#8, fujiwara/ecrm#3), patterns as `must satisfy regular expression '…'`
 * (int128/create-ecr-repository-action#231).
 */
import { checkInput, type ValidationResult } from '../../protocol/validation/validate.js';
import { MODEL } from './generated/model.js';

/** Every operation in the official ECR model (served or not). */
export const ecrOperationNames: ReadonlySet<string> = new Set(Object.keys(MODEL.operations));

const VIOLATION = /^Value (?:null|'[\s\S]*') at '([^']*)' failed to satisfy constraint: ([\s\S]*)$/;
const PATTERN = /^Member must satisfy regular expression pattern: ([\s\S]*)$/;

/** One Coral-worded violation in ECR's wording. */
export function ecrViolationMessage(violation: string): string {
  const m = VIOLATION.exec(violation);
  if (!m) return violation;
  const pattern = PATTERN.exec(m[2]!);
  const constraint = pattern ? `must satisfy regular expression '${pattern[1]}'` : m[2]!;
  return `Invalid parameter at '${m[1]}' failed to satisfy constraint: '${constraint}'`;
}

export function validateEcrInput(op: string, input: unknown): ValidationResult {
  if (!ecrOperationNames.has(op)) return { violations: [] };
  const r = checkInput(MODEL, op, input);
  if (r.violations.length === 0) return r;
  return { ...r, errorCode: 'InvalidParameterException', message: ecrViolationMessage(r.violations[0]!) };
}
