/**
 * A drive as `drives.list` reports it, for store tests: a plain, writable, unmounted
 * disk with no partitions. Each test states what matters to it (size, bus, being a
 * stick) through `extra`, so the fields the policy reads stay visible in the test.
 */
import type { Drive } from '../../shared/drive';

export function testDrive(device: string, extra: Partial<Drive> = {}): Drive {
  return {
    device,
    description: `Drive ${device}`,
    model: null,
    vendor: null,
    serial: null,
    size: 0,
    logicalBlockSize: 512,
    removable: false,
    usb: false,
    transport: null,
    partitionTable: null,
    mountpoints: [],
    readOnly: false,
    isVirtual: false,
    isLoop: false,
    systemReasons: [],
    partitions: [],
    ...extra,
  };
}
