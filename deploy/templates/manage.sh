#!/bin/sh
# {{NAME}}: manage.py as the right user with the right environment file (run it as root).
#   manage createstaff alice --role admin     the web app's user and web.env (the default)
#   manage --owner migrate                    the database owner's owner.env, as nobody
#   manage --signer audit_signer --once --now the signer's user and signer.env
#   manage --root backup                      owner.env as root (backup, restore: root's folder)
# Written by deploy/install.sh.
set -eu
case "${1:-}" in
  --owner) shift; env=owner; user=nobody ;;
  --signer) shift; env=signer; user={{SIGNER_USER}} ;;
  --root) shift; env=owner; user=root ;;
  *) env=web; user={{WEB_USER}} ;;
esac
exec {{VENV}}/bin/python {{APP}}/deploy/unitrun.py --env-file {{CONFIG}}/$env.env \
  --user "$user" --chdir {{APP}} -- {{VENV}}/bin/python manage.py "$@"
