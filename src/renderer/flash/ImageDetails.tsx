/**
 * What the chosen image is: sizes, compression, content and partitions, so the user
 * can recognise it before anything is erased.
 */
import { useTranslation } from 'react-i18next';
import type { ImageInfo } from '../../shared/image';
import { useFormat } from '../i18n';

/** Well-known partition types (GPT GUIDs, MBR bytes) by name; others stay as sfdisk prints them. */
const PART_TYPES: Record<string, string> = {
  'c12a7328-f81f-11d2-ba4b-00a0c93ec93b': 'efi',
  '0fc63daf-8483-4772-8e79-3d69d8477de4': 'linux',
  '4f68bce3-e8cd-4db1-96e7-fbcaf984b709': 'linux',
  '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f': 'swap',
  '21686148-6449-6e6f-744e-656564454649': 'biosBoot',
  'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7': 'data',
  ef: 'efi',
  '83': 'linux',
  '82': 'swap',
  b: 'fat',
  c: 'fat',
  e: 'fat',
  '6': 'fat',
  '7': 'ntfs',
  '17': 'ntfs',
};

function partitionTypeKey(type: string): string | undefined {
  const k = type.toLowerCase().replace(/^0x/, '');
  // MBR bytes come as "c", "0c" or "0x0c"; GUIDs keep their leading zeros.
  if (k.length <= 4) return PART_TYPES[k.replace(/^0+(?=[0-9a-f])/, '')];
  return PART_TYPES[k];
}

export function ImageDetails({ image }: { image: ImageInfo }) {
  const { t } = useTranslation();
  const fmt = useFormat();
  const size =
    image.size === null
      ? t('flash:image.sizeUnknown')
      : image.sizeIsEstimate
        ? t('flash:image.sizeAbout', { size: fmt.bytes(image.size) })
        : fmt.bytes(image.size);
  return (
    <div className="image-details" data-testid="image-details">
      <h3 className="image-name" data-testid="image-name">{image.name}</h3>
      <dl className="facts">
        <dt>{t('flash:image.size')}</dt>
        <dd data-testid="image-size">{size}</dd>
        {image.compression !== 'none' && (
          <>
            <dt>{t('flash:image.fileSize')}</dt>
            <dd>{fmt.bytes(image.fileSize)}</dd>
          </>
        )}
        <dt>{t('flash:image.compression')}</dt>
        <dd data-testid="image-compression">{t(`flash:compression.${image.compression}`)}</dd>
        {image.innerName && (
          <>
            <dt>{t('flash:image.inner')}</dt>
            <dd>{image.innerName}</dd>
          </>
        )}
        <dt>{t('flash:image.content')}</dt>
        <dd data-testid="image-content">{t(`flash:content.${image.contentType}`)}</dd>
        <dt>{t('flash:image.path')}</dt>
        <dd className="path">{image.path}</dd>
        {image.bmap && (
          <>
            <dt>{t('flash:image.bmap')}</dt>
            <dd data-testid="image-bmap">
              {t('flash:image.bmapDetail', { mapped: fmt.bytes(image.bmap.mappedBytes), total: fmt.bytes(image.bmap.imageSize) })}
            </dd>
          </>
        )}
      </dl>
      {image.partitionTable && (
        <table className="partitions" data-testid="image-partitions">
          <caption>
            {t('flash:image.partitions', { label: t(`flash:partitionTable.${image.partitionTable.label}`), count: image.partitionTable.partitions.length })}
          </caption>
          <thead>
            <tr>
              <th scope="col">{t('flash:image.partNumber')}</th>
              <th scope="col">{t('flash:image.partName')}</th>
              <th scope="col">{t('flash:image.partSize')}</th>
              <th scope="col">{t('flash:image.partType')}</th>
            </tr>
          </thead>
          <tbody>
            {image.partitionTable.partitions.map((p) => (
              <tr key={p.number}>
                <td>{p.number}</td>
                <td>{p.name ?? ''}{p.bootable ? ` ${t('flash:image.bootable')}` : ''}</td>
                <td>{fmt.bytes(p.size)}</td>
                <td>{partitionTypeKey(p.type) ? t(`flash:partType.${partitionTypeKey(p.type)}`) : <code>{p.type}</code>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
