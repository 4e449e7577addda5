/**
 * One drive in the target list. Memoised on the drive object, which the store keeps
 * identical while the drive does not change, so a rescan does not repaint stable rows.
 */
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Drive } from '../../../shared/drive';
import type { ImageInfo } from '../../../shared/image';
import { useFormat } from '../../i18n';
import { statusesOf } from '../store';

interface Props {
  drive: Drive;
  image: ImageInfo | null;
  selected: boolean;
  onToggle: (device: string) => void;
}

export const DriveRow = memo(function DriveRow({ drive, image, selected, onToggle }: Props) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const statuses = statusesOf(drive, image);
  const imageSize = image?.size ?? null;
  const blocked = statuses.some((s) => s.blocking);
  const id = `drive-${drive.device.replace(/[^a-z0-9]/gi, '-')}`;
  return (
    <li className={`drive-row ${blocked ? 'blocked' : ''} ${selected ? 'selected' : ''}`} data-testid="drive-row" data-device={drive.device} data-blocked={blocked}>
      <input id={id} type="checkbox" checked={selected} disabled={blocked} onChange={() => onToggle(drive.device)} />
      <label htmlFor={id} className="drive-main">
        <span className="drive-title">{drive.description || drive.device}</span>
        <span className="drive-meta">
          <code>{drive.device}</code>
          <span>{fmt.bytes(drive.size)}</span>
          <span>{drive.isLoop ? t('flash:targets.loop') : drive.transport ? t('flash:targets.transport', { transport: drive.transport.toUpperCase() }) : t('flash:targets.transportUnknown')}</span>
        </span>
      </label>
      {statuses.length > 0 && (
        <ul className="drive-statuses">
          {statuses.map((s) => (
            <li key={s.code} className={`status ${s.blocking ? 'blocking' : 'warning'}`} data-testid="drive-status" data-code={s.code}>
              {t(`flash:status.${s.code}`, { needed: imageSize === null ? '' : fmt.bytes(imageSize), size: fmt.bytes(drive.size) })}
            </li>
          ))}
        </ul>
      )}
    </li>
  );
});
