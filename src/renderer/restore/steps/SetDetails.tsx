/**
 * Step 2: what the backup holds — the machine, the date, the disks and filesystems it
 * recorded, and the notes the backup made — so the user knows it is the right one.
 */
import { useTranslation } from 'react-i18next';
import { warningText } from '../../../shared/restore-text';
import { useRestore } from '../../app/context';
import { useFormat } from '../../i18n';
import { useDate } from '../useDate';

export function SetDetails() {
  const { t } = useTranslation();
  const fmt = useFormat();
  const date = useDate();
  const set = useRestore((s) => s.set);
  const goToFind = useRestore((s) => s.goToFind);
  const goToTargets = useRestore((s) => s.goToTargets);
  if (!set) return null;

  return (
    <div className="panel" data-testid="step-set">
      <h2>{t('restoreUi:set.title', { host: set.host })}</h2>
      <dl className="facts">
        <dt>{t('restoreUi:set.host')}</dt>
        <dd data-testid="set-host">{set.host}</dd>
        <dt>{t('restoreUi:set.created')}</dt>
        <dd data-testid="set-created">{date(set.created)}</dd>
        <dt>{t('restoreUi:set.kind')}</dt>
        <dd data-testid="set-kind">{set.base ? t('restoreUi:set.incrementalOf', { base: set.base }) : t(`restoreUi:kind.${set.kind}`)}</dd>
        <dt>{t('restoreUi:set.size')}</dt>
        <dd>{t('restoreUi:set.sizeValue', { size: fmt.bytes(set.bytes), count: set.archives })}</dd>
        <dt>{t('restoreUi:set.compression')}</dt>
        <dd>{set.compression}</dd>
        <dt>{t('restoreUi:set.firmware')}</dt>
        <dd>{t(`restoreUi:firmware.${set.firmware}`)}</dd>
        <dt>{t('restoreUi:set.folder')}</dt>
        <dd className="path">
          <code>{set.dir}</code>
        </dd>
      </dl>

      <h3 className="subtle-heading">{t('restoreUi:set.disks', { count: set.disks.length })}</h3>
      {set.disks.map((d) => (
        <table className="partitions" key={d.device} data-testid="set-disk" data-device={d.device}>
          <caption>
            {t('restoreUi:set.diskCaption', { device: d.device, size: fmt.bytes(d.sizeBytes), table: d.table ? t(`restoreUi:table.${d.table}`) : t('restoreUi:table.none') })}
            {d.model ? ` — ${d.model}` : ''}
          </caption>
          <thead>
            <tr>
              <th>{t('restoreUi:set.partition')}</th>
              <th className="num">{t('restoreUi:set.partSize')}</th>
              <th>{t('restoreUi:set.filesystem')}</th>
              <th>{t('restoreUi:set.mountpoint')}</th>
              <th>{t('restoreUi:set.label')}</th>
            </tr>
          </thead>
          <tbody>
            {d.partitions.map((p) => (
              <tr key={p.node} data-testid="set-partition">
                <td>
                  <code>{p.node}</code>
                </td>
                <td className="num">{fmt.bytes(p.sizeBytes)}</td>
                <td>{p.fsType ?? t('restoreUi:set.noFs')}</td>
                <td>{p.mountpoint ?? ''}</td>
                <td>{p.label ?? p.name ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}

      <h3 className="subtle-heading">{t('restoreUi:set.archivesTitle', { count: set.archiveList.length })}</h3>
      <ul className="archive-list" data-testid="set-archives">
        {set.archiveList.map((a) => (
          <li key={a.id}>
            {t('restoreUi:set.archive', { mountpoint: a.mountpoint, fstype: a.fsType, device: a.device, size: fmt.bytes(a.bytesIn), count: a.files })}
          </li>
        ))}
      </ul>

      {set.warnings.length > 0 && (
        <ul className="warning-list" data-testid="set-warnings">
          {set.warnings.map((w, i) => (
            <li key={i} className="notice warning">
              {warningText(t, { code: 'layout', params: { ...w.params, code: w.code } })}
            </li>
          ))}
        </ul>
      )}

      <div className="actions">
        <button type="button" className="button" onClick={goToFind}>
          {t('common:back')}
        </button>
        <span className="spacer" />
        <button type="button" className="button primary" data-testid="set-next" onClick={goToTargets}>
          {t('restoreUi:set.next')}
        </button>
      </div>
    </div>
  );
}
