/**
 * Names of partition nodes on a target disk.
 *
 * The kernel appends "p" before the partition number when the disk name itself ends
 * in a digit (loop0p1, nvme0n1p1, mmcblk0p1) and nothing otherwise (sda1, vda1).
 */
export function partitionNode(disk: string, number: number): string {
  return /\d$/.test(disk) ? `${disk}p${number}` : `${disk}${number}`;
}

/** The trailing partition number of a node (/dev/loop0p5 → 5); 0 when there is none. */
export function partitionNumberOf(node: string): number {
  const m = /(\d+)$/.exec(node);
  return m ? Number(m[1]) : 0;
}
