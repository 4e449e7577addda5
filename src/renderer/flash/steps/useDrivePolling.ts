import { useEffect } from 'react';
import { useServices } from '../../app/context';

/** Rescans drives about every two seconds while mounted; one scan at a time, never overlapping. */
export function useDrivePolling(intervalMs = 2000): void {
  const { flash } = useServices();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await flash.getState().refreshDrives();
      if (!stopped) timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [flash, intervalMs]);
}
