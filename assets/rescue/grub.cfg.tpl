# Lifeboat rescue media: GRUB menu (UEFI, USB and network boot). Generated; see src/main/engine/media/bootcfg.ts.
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
insmod all_video
set timeout={{timeout}}
set default=0
{{search}}
{{entries}}
