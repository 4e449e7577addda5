# Lifeboat rescue media: isolinux (BIOS) menu. Generated; see src/main/engine/media/bootcfg.ts.
SERIAL 0 115200
DEFAULT {{defaultLabel}}
PROMPT {{prompt}}
TIMEOUT {{timeoutTenths}}
DISPLAY /isolinux/boot.txt
{{entries}}
