from awstriage.cli import main

raise SystemExit(main())
