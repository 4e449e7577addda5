/**
 * What the inventory found under a root: disks and partitions, filesystems (and which
 * are backed up), swap, and every warning in words.
 */
import { useTranslation } from 'react-i18next';
import type { Warning } from '../../shared/layout';
import type { InventoryView } from '../../shared/media-make';
import { useFormat } from '../i18n';

/** A layout warning in the user's language; an unknown code still shows, as its code. */
export function WarningList({ warnings, testId }: { warnings: Warning[]; testId?: string }) {
  const { t } = useTranslation();
  if (!warnings.length) return null;
  return (
    <ul className="warning-list" data-testid={testId ?? 'warnings'}>
      {warnings.map((w, i) => (
        <li key={`${w.code}-${i}`} className="notice warning" data-code={w.code}>
          {t(`backup:warnings.${w.code}`, { ...w.params, defaultValue: t('makeMedia:inventory.unknownWarning', { code: w.code }) })}
          {/* a tool's own words (English, technical) stay out of the sentence, one click away */}
          {typeof w.params?.detail === 'string' && w.params.detail && (
            <details className="warning-detail">
              <summary>{t('makeMedia:inventory.technical')}</summary>
              <code>{w.params.detail}</code>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

export function InventoryDetails({ inventory }: { inventory: InventoryView }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const { layout } = inventory;
  const archived = new Set(inventory.archived);
  return (
    <div className="inventory" data-testid="inventory">
      <p className="muted">
        {t('makeMedia:inventory.summary', {
          disks: t('makeMedia:inventory.diskCount', { count: layout.disks.length }),
          filesystems: t('makeMedia:inventory.filesystemCount', { count: layout.filesystems.length }),
          firmware: layout.boot.firmware === 'uefi' ? 'UEFI' : 'BIOS',
        })}
      </p>
      <table className="partitions" data-testid="inventory-disks">
        <caption>{t('makeMedia:inventory.disks')}</caption>
        <thead>
          <tr>
            <th>{t('makeMedia:inventory.device')}</th>
            <th>{t('makeMedia:inventory.size')}</th>
            <th>{t('makeMedia:inventory.table')}</th>
          </tr>
        </thead>
        <tbody>
          {layout.disks.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">{t('makeMedia:inventory.noDisks')}</td>
            </tr>
          )}
          {layout.disks.flatMap((d) => [
            <tr key={d.device}>
              <td>
                <code>{d.device}</code> {d.model ?? ''}
              </td>
              <td className="num">{fmt.bytes(d.sizeBytes)}</td>
              <td>{d.table ? (d.table.label === 'gpt' ? 'GPT' : 'MBR') : t('makeMedia:inventory.noTable')}</td>
            </tr>,
            ...(d.table?.partitions ?? []).map((p) => (
              <tr key={p.node} className="sub-row">
                <td>
                  <code>{p.node}</code>
                </td>
                <td className="num">{fmt.bytes(p.size * (d.table?.sectorsize ?? 512))}</td>
                <td>{t('makeMedia:inventory.partition', { number: p.number })}</td>
              </tr>
            )),
          ])}
        </tbody>
      </table>
      <table className="partitions" data-testid="inventory-filesystems">
        <caption>{t('makeMedia:inventory.filesystems')}</caption>
        <thead>
          <tr>
            <th>{t('makeMedia:inventory.mountpoint')}</th>
            <th>{t('makeMedia:inventory.type')}</th>
            <th>{t('makeMedia:inventory.device')}</th>
            <th>{t('makeMedia:inventory.used')}</th>
            <th>{t('makeMedia:inventory.backedUp')}</th>
          </tr>
        </thead>
        <tbody>
          {layout.filesystems.map((f) => (
            <tr key={`${f.device}-${f.mountpoint ?? ''}`} data-testid="inventory-fs" data-mountpoint={f.mountpoint ?? ''}>
              <td>{f.mountpoint ? <code>{f.mountpoint}</code> : <span className="muted">{t('makeMedia:inventory.notMounted')}</span>}</td>
              <td>{f.type}</td>
              <td>
                <code>{f.device}</code>
              </td>
              <td className="num">
                {f.sizeBytes !== undefined
                  ? t('common:units.of', { done: fmt.bytes(f.usedBytes ?? 0), total: fmt.bytes(f.sizeBytes) })
                  : t('makeMedia:inventory.unknownSize')}
              </td>
              <td>{f.mountpoint && archived.has(f.mountpoint) ? t('makeMedia:inventory.yes') : t('makeMedia:inventory.no')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {layout.swap.length > 0 && (
        <p className="muted">
          {t('makeMedia:inventory.swap', { devices: layout.swap.map((s) => s.device).join(', ') })}
        </p>
      )}
      {inventory.warnings.length > 0 && <h3 className="subtle-heading">{t('makeMedia:inventory.warnings', { count: inventory.warnings.length })}</h3>}
      <WarningList warnings={inventory.warnings} />
    </div>
  );
}
