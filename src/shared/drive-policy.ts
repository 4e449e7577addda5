/**
 * One safety policy, checked twice: the UI uses these predicates to explain and
 * disable choices, and the helper runs them again on a fresh scan just before it
 * writes. Pure functions: no Node, no DOM.
 */
import type { Drive, DriveStatus } from './drive';

/** Drives over this size get a warning: a home admin's USB stick is rarely that big. */
export const LARGE_DRIVE_BYTES = 128e9;

export function isSystemDrive(drive: Drive): boolean {
  return drive.systemReasons.length > 0;
}

export function isLargeEnough(drive: Drive, imageSize: number | null): boolean {
  return imageSize === null || drive.size >= imageSize;
}

/** Whether the drive holds the image file itself (one of its partitions is mounted above the image path). */
export function isSourceDrive(drive: Drive, imageMountDevice: string | null): boolean {
  if (!imageMountDevice) return false;
  return drive.device === imageMountDevice || drive.partitions.some((p) => p.device === imageMountDevice);
}

export function isLargeDrive(drive: Drive): boolean {
  return drive.size > LARGE_DRIVE_BYTES;
}

export interface PolicyInput {
  /** bytes the image needs on the target, null while unknown */
  imageSize: number | null;
  /** the block device holding the image file (from its mount), null when not on a block device */
  imageSourceDevice: string | null;
}

/** Every status of a drive for an image, blocking ones first. */
export function driveStatuses(drive: Drive, input: PolicyInput): DriveStatus[] {
  const out: DriveStatus[] = [];
  if (isSystemDrive(drive)) out.push({ code: 'system', blocking: true });
  if (isSourceDrive(drive, input.imageSourceDevice)) out.push({ code: 'source', blocking: true });
  if (drive.readOnly) out.push({ code: 'read-only', blocking: true });
  if (!isLargeEnough(drive, input.imageSize)) out.push({ code: 'too-small', blocking: true });
  if (!isSystemDrive(drive) && drive.mountpoints.length > 0) out.push({ code: 'mounted', blocking: false });
  if (isLargeDrive(drive)) out.push({ code: 'large', blocking: false });
  return out;
}

export function isSelectable(drive: Drive, input: PolicyInput): boolean {
  return !driveStatuses(drive, input).some((s) => s.blocking);
}
