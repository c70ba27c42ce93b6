#!/bin/sh
# Install the rendered firmware configuration of kiosk ${device_id} on Raspberry Pi OS Bookworm. Run as root
# from this directory after copying it to the kiosk: sudo sh install.sh   (then reboot)
set -eu
here=$$(cd "$$(dirname "$$0")" && pwd)
install -d -m 0750 ${data_dir}
id ${kiosk_user} >/dev/null 2>&1 || useradd --system --create-home --home-dir ${data_dir}/home --shell /usr/sbin/nologin ${kiosk_user}
usermod -a -G audio,video,input,render,lp ${kiosk_user}
install -d -m 0755 ${libexec_dir} ${share_dir}
install -m 0755 "$$here/session/kiosk-session" "$$here/session/kiosk-xclient" ${libexec_dir}/
install -m 0644 "$$here/README.md" ${share_dir}/README.md 2>/dev/null || true
install -m 0644 "$$here/systemd/kiosk.service" "$$here/systemd/kiosk-uploader.service" /etc/systemd/system/
install -D -m 0644 "$$here/systemd/journald.conf.d/kiosk.conf" /etc/systemd/journald.conf.d/kiosk.conf
install -D -m 0644 "$$here/systemd/system.conf.d/kiosk-watchdog.conf" /etc/systemd/system.conf.d/kiosk-watchdog.conf
install -D -m 0644 "$$here/systemd/logind.conf.d/kiosk.conf" /etc/systemd/logind.conf.d/kiosk.conf
install -m 0644 "$$here/udev/99-kiosk-microphone.rules" "$$here/udev/99-kiosk-touch.rules" \
    "$$here/udev/99-kiosk-printer.rules" /etc/udev/rules.d/
install -D -m 0644 "$$here/X11/xorg.conf.d/10-kiosk.conf" /etc/X11/xorg.conf.d/10-kiosk.conf
install -m 0644 "$$here/X11/Xwrapper.config" /etc/X11/Xwrapper.config
install -m 0644 "$$here/alsa/asound.conf" /etc/asound.conf
grep -q "Layanan Desa kiosk" /boot/firmware/config.txt || cat "$$here/boot/config.txt.fragment" >> /boot/firmware/config.txt
grep -q "consoleblank=0" /boot/firmware/cmdline.txt || sed -i "1 s|$$| $$(cat "$$here/boot/cmdline.txt.append")|" /boot/firmware/cmdline.txt
timedatectl set-timezone ${time_zone}
# the kiosk user runs the app and the uploader: it owns the queue, its keys (0600) and the models
chown -R ${kiosk_user}:${kiosk_user} ${data_dir}
chgrp ${kiosk_user} ${config_path} && chmod 0640 ${config_path}   # the config holds the staff PIN
systemctl daemon-reload
systemctl disable --now getty@tty1.service lightdm.service 2>/dev/null || true
systemctl set-default graphical.target
systemctl enable kiosk.service kiosk-uploader.service
udevadm control --reload
echo "kiosk ${device_id} installed; reboot, then run: kiosk-provision selftest --config ${config_path}"
